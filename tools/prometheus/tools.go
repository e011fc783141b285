//go:build tools

// Package tools pins the Prometheus server and promtool that Paywatch builds from the Go module
// proxy (see tools/README.md). Nothing here is compiled into Paywatch; the blank imports keep the
// commands' dependencies in go.mod and go.sum when `go mod tidy` runs.
package tools

import (
	_ "github.com/prometheus/prometheus/cmd/prometheus"
	_ "github.com/prometheus/prometheus/cmd/promtool"
)
