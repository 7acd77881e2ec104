#!/usr/bin/env bash
# gendocs.sh TOFU — regenerate docs/ from examples/ and the provider's schema,
# offline: the schema comes from `TOFU providers schema -json`, with this
# module's provider binary installed through dev_overrides, and is given to
# tfplugindocs (pinned in go.mod) with --providers-schema, so that it neither
# builds the provider itself nor downloads Terraform.
set -euo pipefail
tofu=$(realpath "$1")
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The examples are what the docs show: they must be formatted HCL.
"$tofu" fmt -check -recursive examples
go build -o "$work/terraform-provider-chreplication" .
cat > "$work/tofurc" <<RC
provider_installation {
  dev_overrides {
    "registry.opentofu.org/gaussdb-tools/chreplication" = "$work"
  }
  direct {}
}
RC
mkdir "$work/cfg"
cat > "$work/cfg/main.tf" <<'TF'
terraform {
  required_providers {
    chreplication = { source = "gaussdb-tools/chreplication" }
  }
}
TF
(cd "$work/cfg" && TF_CLI_CONFIG_FILE="$work/tofurc" TF_IN_AUTOMATION=1 "$tofu" providers schema -json) > "$work/schema.json"
# tfplugindocs finds a provider under its short name (or Terraform's
# hashicorp namespace), not under OpenTofu's registry address.
node -e '
const fs = require("fs"), f = process.argv[1], j = JSON.parse(fs.readFileSync(f, "utf8"));
const s = j.provider_schemas["registry.opentofu.org/gaussdb-tools/chreplication"];
if (!s) { console.error("no chreplication schema in tofu providers schema -json"); process.exit(1); }
j.provider_schemas = { chreplication: s };
fs.writeFileSync(f, JSON.stringify(j));
' "$work/schema.json"
go tool tfplugindocs generate --provider-name chreplication --rendered-provider-name chreplication \
	--providers-schema "$work/schema.json"
