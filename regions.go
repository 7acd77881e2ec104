package chreplication

import (
	"fmt"
	"slices"
	"strings"
)

// regionHosts maps each region to the host prefix of its GaussDB(for MySQL)
// endpoint, as the official SDKs list them.
var regionHosts = map[string]string{
	"cn-north-4":     "gaussdb",
	"cn-southwest-2": "gaussdb",
	"cn-east-3":      "gaussdb",
	"cn-south-1":     "gaussdb",
	"ru-northwest-2": "gaussdb",
	"ap-southeast-3": "gaussdb",
	"cn-north-2":     "gaussdb",
	"cn-north-9":     "gaussdb",
	"ap-southeast-4": "gaussdb",
	"sa-brazil-1":    "gaussdb",
	"cn-south-4":     "gaussdb",
	"tr-west-1":      "gaussdbformysql",
	"ap-southeast-1": "gaussdbformysql",
	"ap-southeast-2": "gaussdbformysql",
	"cn-north-11":    "gaussdbformysql",
	"me-east-1":      "gaussdbformysql",
	"af-south-1":     "gaussdb-mysql",
	"cn-east-5":      "gaussdb-mysql",
	"la-north-2":     "gaussdb-mysql",
	"cn-southwest-3": "gaussdb-mysql",
}

// Regions returns the names of the regions RegionEndpoint knows, sorted.
func Regions() []string {
	names := make([]string, 0, len(regionHosts))
	for name := range regionHosts {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// RegionEndpoint returns the API endpoint of a Huawei Cloud region, such as
// "https://gaussdb.cn-north-4.myhuaweicloud.com" for "cn-north-4". The name is
// matched without regard to case and surrounding spaces. An unknown region is
// an error wrapping ErrInvalidRequest that lists the known ones.
func RegionEndpoint(region string) (string, error) {
	name := strings.ToLower(strings.TrimSpace(region))
	prefix, ok := regionHosts[name]
	if !ok {
		return "", &InvalidRequestError{
			Field:  "region",
			Reason: fmt.Sprintf("unknown region %s; known regions: %s", quote(region), strings.Join(Regions(), ", ")),
		}
	}
	return "https://" + prefix + "." + name + ".myhuaweicloud.com", nil
}
