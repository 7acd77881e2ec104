data "chreplication_replications" "all" {
  instance_id = "54e42160670e48e789af7075e1efea1fin16"
}

output "abnormal" {
  value = [for r in data.chreplication_replications.all.replications : r.database if r.status == "abnormal"]
}
