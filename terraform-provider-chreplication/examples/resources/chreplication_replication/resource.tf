# Every table of "sales", copied into the ClickHouse node.
resource "chreplication_replication" "sales" {
  instance_id        = "54e42160670e48e789af7075e1efea1fin16"
  source_instance_id = "ba62a0b83a1b42bfab9d2ac1a5dd2e2cin07"
  database           = "sales"
}

# Every table of "shop" but two; changing the tables updates the task in place.
resource "chreplication_replication" "shop" {
  instance_id        = "54e42160670e48e789af7075e1efea1fin16"
  source_instance_id = "ba62a0b83a1b42bfab9d2ac1a5dd2e2cin07"
  source_node_id     = "" # the primary node; a read replica's node ID otherwise
  database           = "shop"

  table_scope = {
    mode   = "black_list"
    tables = ["audit_log", "sessions"]
  }

  timeouts {
    create = "1h"
  }
}
