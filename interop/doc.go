// Package interop checks that Huawei Cloud's official Go SDK
// (github.com/huaweicloud/huaweicloud-sdk-go-v3, services/gaussdb/v3) and
// this project agree. It is a module of its own, so that the chreplication
// module never depends on the SDK.
//
// It holds tests and benchmarks only:
//
//   - the SDK, signing with AK/SK, drives the fake (fake.NewServer in the
//     test process, and the `chreplication fake` command) through create,
//     job, list and delete, and every answer must decode in the SDK's models
//     (lifecycle_test.go);
//   - the SDK drives the seven workflow operations against the fake
//     (databases, parameters, both checks, a replication's configuration, a
//     table scope change and its cancellation), and every answer decodes in
//     the SDK's models (workflow_test.go);
//   - the SDK's request and answer models are compared field by field, by
//     reflection, with the schemas of openapi.yaml (models_test.go); a
//     difference the spec knows of is marked on the spec's property with
//     `x-sdk-difference: "<why>"`;
//   - answers written from Huawei's published examples
//     (testdata/answers/) are read through the chreplication facade
//     (answers_test.go);
//   - BenchmarkCreate compares the cost of a create call made with the
//     chreplication facade and with the SDK, both signing with AK/SK,
//     against one loopback server (bench_test.go).
//
// Run it with `make interop` (tests) and `make bench-interop`.
package interop
