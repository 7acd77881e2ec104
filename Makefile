# chreplication — every tool a target needs is installed by this file or by
# the Go module system; nothing is expected on PATH but go, node and npm.

GO            ?= go
BIN           := $(CURDIR)/.bin
GOLANGCI_LINT := $(BIN)/golangci-lint
GOLANGCI_VER  := v2.15.0
TOFU          := .bin/tofu
PKGS          := ./...

.PHONY: all test tidy-check unit prometheus rules allocs vet fmt-check lint generate check-generated spec-check bench bench-interop interop demo deps-check clean provider provider-docs provider-docs-check

all: test

## test: everything CI checks: vet, gofmt, lint, generated code, the spec, the alert rules, the race-enabled tests.
test: tidy-check vet fmt-check lint check-generated deps-check spec-check rules unit allocs interop provider operator

## unit: the Go tests, with the race detector (fuzz seeds run as ordinary tests); the exporter's
## integration test runs a real Prometheus, installed first.
unit: prometheus
	CHREPLICATION_REQUIRE_TOOLS=1 $(GO) test -race -count=1 $(PKGS)

## interop: Huawei Cloud's official Go SDK against the fake, and its models against the spec
## (interop/ is a module of its own: the main module never depends on the SDK).
interop: $(GOLANGCI_LINT)
	cd interop && $(GO) vet ./... && $(GOLANGCI_LINT) run --allow-serial-runners --config ../.golangci.yml ./... && $(GO) test -race -count=1 ./...

## prometheus: Debian's prometheus package (prometheus and promtool), when prometheus is not on PATH.
prometheus:
	@command -v prometheus >/dev/null && command -v promtool >/dev/null || { \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y --no-install-recommends prometheus || { apt-get update && apt-get install -y --no-install-recommends prometheus; }; }

## rules: the Prometheus alert rules (deploy/prometheus) checked and unit-tested with promtool.
rules: prometheus
	promtool check rules deploy/prometheus/alerts.yaml
	promtool check config deploy/prometheus/prometheus.yml
	cd deploy/prometheus && promtool test rules alerts_test.yaml

## provider: the Terraform/OpenTofu provider (a module of its own): vet, lint, its docs' drift, and its
## tests, the acceptance tests among them: a real tofu (.bin/tofu) against the fake, the provider in-process.
PROVIDER_ENV := TF_ACC=1 TF_ACC_TERRAFORM_PATH=$(CURDIR)/$(TOFU) TF_ACC_PROVIDER_HOST=registry.opentofu.org \
	TF_CLI_CONFIG_FILE=$(CURDIR)/terraform-provider-chreplication/internal/provider/testdata/tofurc
provider: $(TOFU) $(GOLANGCI_LINT) provider-docs-check
	cd terraform-provider-chreplication && $(GO) vet ./... && $(GOLANGCI_LINT) run --allow-serial-runners --config ../.golangci.yml ./... && \
		$(PROVIDER_ENV) $(GO) test -race -count=1 ./...

## provider-docs: regenerate the provider's docs/ with tfplugindocs, offline (the schema from .bin/tofu).
provider-docs: $(TOFU)
	bash terraform-provider-chreplication/gendocs.sh $(TOFU)

## provider-docs-check: regenerate the provider's docs and fail when any committed file changes.
provider-docs-check: provider-docs
	@if [ -n "$$(git status --porcelain -- terraform-provider-chreplication/docs)" ]; then \
		echo "the provider's docs are out of date; run 'make provider-docs' and commit:"; \
		git status --porcelain -- terraform-provider-chreplication/docs; exit 1; fi

## allocs: the allocation budgets, built without the race detector (it changes the counts).
allocs:
	$(GO) test -count=1 -run 'Allocs' ./auth/

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

## envtest-bins: the control plane the Kubernetes controller's tests run against (kube-apiserver
## v1.37.2 from tools/kube-apiserver, etcd 3.7.3 from tools/etcd), built into .bin/ once (cold, about 7 to 9 minutes).
.PHONY: envtest-bins operator operator-generate operator-generate-check
envtest-bins:
	bash hack/envtest-bins.sh

## operator: the Kubernetes controller (a module of its own): vet, lint, the CRD's and RBAC's drift, and its
## tests against a real kube-apiserver and etcd (envtest) and the fake.
operator: envtest-bins $(GOLANGCI_LINT) operator-generate-check
	cd operator && $(GO) vet ./... && $(GOLANGCI_LINT) run --allow-serial-runners --config ../.golangci.yml ./... && \
		CHREPLICATION_REQUIRE_TOOLS=1 $(GO) test -race -count=1 ./...

## operator-generate: the CRD, the RBAC role and the deep copies from the API's and the reconciler's markers (controller-gen).
CONTROLLER_GEN := $(GO) run sigs.k8s.io/controller-tools/cmd/controller-gen@v0.23.0
operator-generate:
	cd operator && $(CONTROLLER_GEN) rbac:roleName=chreplication-operator crd object paths=./... output:crd:dir=config/crd/bases output:rbac:dir=config/rbac

## operator-generate-check: regenerate and fail when any committed file changes.
operator-generate-check: operator-generate
	@if [ -n "$$(git status --porcelain -- operator/config operator/api/v1alpha1/zz_generated.deepcopy.go)" ]; then \
		echo "the operator's generated files are out of date; run 'make operator-generate' and commit:"; \
		git status --porcelain -- operator/config operator/api/v1alpha1/zz_generated.deepcopy.go; exit 1; fi

## .bin/tofu: OpenTofu, built once from tools/tofu (its pinned release; cold, several minutes).
$(TOFU):
	cd tools/tofu && $(GO) build -trimpath -ldflags "-X github.com/opentofu/opentofu/version.dev=no" -o $(CURDIR)/$(TOFU) github.com/opentofu/opentofu/cmd/tofu

$(GOLANGCI_LINT):
	GOBIN=$(BIN) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_VER)

lint: $(GOLANGCI_LINT)
	$(GOLANGCI_LINT) run $(PKGS)

## generate: rewrite every generated file from openapi.yaml.
generate:
	$(GO) generate $(PKGS)

## check-generated: regenerate and fail when any committed file changes.
check-generated: generate
	@if [ -n "$$(git status --porcelain -- generated fake)" ]; then \
		echo "generated code is out of date with openapi.yaml; run 'make generate' and commit:"; \
		git status --porcelain -- generated fake; git diff --stat -- generated fake; exit 1; fi

## deps-check: a program importing only the client packages must not link kin-openapi, testify,
## the CLI's cobra, the exporter's client_golang, or OpenTelemetry's SDK and exporters (the API only).
## tidy-check: every module's go.mod and go.sum are as go mod tidy leaves them (a module that needs
## tidying fails later, and less clearly, in go vet).
MODULES := . interop terraform-provider-chreplication operator
tidy-check:
	@for m in $(MODULES); do (cd $$m && $(GO) mod tidy -diff) || { echo "$$m: go.mod or go.sum needs 'go mod tidy' (the diff is above)"; exit 1; }; done

deps-check:
	@bad=$$($(GO) list -deps . ./generated ./auth | grep -E 'kin-openapi|testify|goleak|spf13/cobra|spf13/pflag|prometheus/client_golang|go.opentelemetry.io/otel/sdk|go.opentelemetry.io/otel/exporters|go.opentelemetry.io/proto|google.golang.org/grpc' || true); \
	if [ -n "$$bad" ]; then echo "client packages link test or validation code:"; echo "$$bad"; exit 1; fi

## spec-check: lint the spec, type-check a TypeScript client, detect breaking changes.
spec-check:
	bash tools/spec/check.sh

## bench: bench-interop, bench-fleet, bench-exporter, bench-operator, then the performance benchmarks, their ratios to a hand-written baseline and the budgets (BENCHMARKS.md).
bench: bench-interop bench-fleet bench-exporter bench-operator
	$(GO) run ./bench/cmd/benchratio -rounds 10 -benchtime 300ms -raw bench.out

.PHONY: bench-fleet bench-exporter bench-operator

## bench-operator: 500 ClickHouseReplication resources over 50 instances on a real API server, the fake's gateway at 20/s: time to all Ready against the fleet floor (about 1.5 minutes); prints PASS/MISS per budget.
bench-operator: envtest-bins
	cd operator && CHREPLICATION_REQUIRE_TOOLS=1 $(GO) test -run '^$$' -bench '^BenchmarkOperatorFleet$$' -benchtime 1x -timeout 30m ./internal/controller/

## bench-exporter: the exporter's refresh schedule under 20 concurrent scrapers (oldest refresh as a ratio to the interval).
bench-exporter:
	$(GO) test -run '^$$' -bench '^BenchmarkScrapersDuringRefresh$$' -benchtime 1x -count 3 ./exporter/

## bench-fleet: apply N instances × D databases through the fake's throttle (about 2.5 minutes); prints PASS/MISS per budget.
bench-fleet:
	$(GO) test -run '^$$' -bench '^BenchmarkFleet$$' -benchtime 1x -timeout 30m ./bench/

## bench-interop: the facade's AK/SK create call against the official SDK's, in rounds and interleaved.
bench-interop:
	cd interop && $(GO) test -run '^$$' -bench . -benchmem -count 5 -benchtime 300ms .

## demo: the whole lifecycle against an in-process fake; no credentials, no network.
demo:
	$(GO) run ./cmd/chreplication demo

clean:
	rm -rf $(BIN) tools/spec/node_modules tools/spec/build
