terraform {
  required_providers {
    chreplication = {
      source = "gaussdb-tools/chreplication"
    }
  }
}

# Credentials come from the environment only, for example:
#   export HUAWEICLOUD_SDK_AK=... HUAWEICLOUD_SDK_SK=...
# or Huawei Cloud's provider's HW_ACCESS_KEY and HW_SECRET_KEY.
provider "chreplication" {
  region     = "cn-north-4"
  project_id = "0123456789abcdef0123456789abcdef"
  rate_limit = 5 # requests a second, at most
}
