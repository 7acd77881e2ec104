package provider_test

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/provider"

	chprovider "github.com/gaussdb-tools/chreplication/terraform-provider-chreplication/internal/provider"
)

// New makes the provider that main serves with providerserver.Serve (at
// chprovider.Address); here it is asked for its name and its resources.
func ExampleNew() {
	p := chprovider.New("1.0.0")()
	var meta provider.MetadataResponse
	p.Metadata(context.Background(), provider.MetadataRequest{}, &meta)
	fmt.Println(meta.TypeName, meta.Version)
	fmt.Println(len(p.Resources(context.Background())), "resource,", len(p.DataSources(context.Background())), "data sources")
	// Output:
	// chreplication 1.0.0
	// 1 resource, 3 data sources
}
