// Package envtestutil starts the real kube-apiserver and etcd the
// operator's tests run against (make envtest-bins builds them into the
// repository's .bin/), with the ClickHouseReplication CRD installed.
package envtestutil

import (
	"os"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// Start starts the control plane for t, from dir (the test's package
// folder) up to the operator's root in levels, and stops it when t ends.
// Without the binaries the test skips, naming make test, unless
// CHREPLICATION_REQUIRE_TOOLS is set (make test sets it): CI never skips
// it silently.
func Start(t testing.TB, scheme *runtime.Scheme, toOperator string) (*envtest.Environment, *rest.Config) {
	t.Helper()
	assets, err := filepath.Abs(filepath.Join(toOperator, "..", ".bin"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(assets, "kube-apiserver")); err != nil {
		msg := "kube-apiserver is not in " + assets + ": `make test` (or `make envtest-bins`) builds it and runs this test"
		if os.Getenv("CHREPLICATION_REQUIRE_TOOLS") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	e := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join(toOperator, "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
		Scheme:                scheme,
	}
	cfg, err := e.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Stop() })
	return e, cfg
}
