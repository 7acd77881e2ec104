data "chreplication_databases" "all" {
  instance_id = "54e42160670e48e789af7075e1efea1fin16"
}

# One task per database the node can synchronise.
resource "chreplication_replication" "each" {
  for_each           = toset(data.chreplication_databases.all.databases)
  instance_id        = "54e42160670e48e789af7075e1efea1fin16"
  source_instance_id = "ba62a0b83a1b42bfab9d2ac1a5dd2e2cin07"
  database           = each.key
}
