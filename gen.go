// Package chreplication is a Go client for the Huawei Cloud GaussDB(for MySQL)
// (TaurusDB) API that synchronises a MySQL database into the instance's
// ClickHouse node.
package chreplication

//go:generate go tool oapi-codegen -config generated/cfg.yaml openapi.yaml
