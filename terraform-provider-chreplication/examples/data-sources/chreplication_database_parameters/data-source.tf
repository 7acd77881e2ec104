data "chreplication_database_parameters" "all" {
  instance_id = "54e42160670e48e789af7075e1efea1fin16"
}

output "max_sync_threads_range" {
  value = one([for p in data.chreplication_database_parameters.all.parameters : p.range if p.name == "max_sync_threads"])
}
