// Command terraform-provider-chreplication is the Terraform and OpenTofu
// provider for the GaussDB(for MySQL) ClickHouse replication API: it serves
// the provider "chreplication" over the plugin protocol version 6.
//
// Run with -debug to start it for a debugger: it prints the
// TF_REATTACH_PROVIDERS value to give Terraform or OpenTofu.
package main

import (
	"context"
	"flag"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/gaussdb-tools/chreplication/terraform-provider-chreplication/internal/provider"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	debug := flag.Bool("debug", false, "start the provider for a debugger (prints TF_REATTACH_PROVIDERS)")
	flag.Parse()
	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address: provider.Address,
		Debug:   *debug,
	})
	if err != nil {
		log.Fatal(err)
	}
}
