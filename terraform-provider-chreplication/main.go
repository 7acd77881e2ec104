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
	"os"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/gaussdb-tools/chreplication/internal/otelenv"
	"github.com/gaussdb-tools/chreplication/terraform-provider-chreplication/internal/provider"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	debug := flag.Bool("debug", false, "start the provider for a debugger (prints TF_REATTACH_PROVIDERS)")
	flag.Parse()
	// Tracing and metrics of the provider's calls, when the OTEL_*
	// environment Terraform or OpenTofu runs it in asks for them; what is
	// left is exported when the plugin stops.
	tel, err := otelenv.Setup(context.Background(), os.Getenv, "terraform-provider-chreplication")
	if err != nil {
		log.Fatal("OpenTelemetry: ", err)
	}
	err = providerserver.Serve(context.Background(), provider.NewWith(version, tel.Options()...), providerserver.ServeOpts{
		Address: provider.Address,
		Debug:   *debug,
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	_ = tel.Shutdown(ctx)
	cancel()
	if err != nil {
		log.Fatal(err)
	}
}
