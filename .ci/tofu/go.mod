module stepwise.local/tofubuild

go 1.24

require github.com/opentofu/opentofu v1.12.6

// OpenTofu v1.12.6 builds against its own fork of hcl/v2 (the replace
// directive in its go.mod, which does not apply to modules that import it).
replace github.com/hashicorp/hcl/v2 v2.20.1 => github.com/opentofu/hcl/v2 v2.20.2-0.20251021132045-587d123c2828
