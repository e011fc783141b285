//go:build tools

// Package tools pins prom-label-proxy, built only for the scope-proxy benchmark's comparison
// (see tools/README.md).
package tools

import (
	_ "github.com/prometheus-community/prom-label-proxy"
)
