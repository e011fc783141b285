//go:build tools

// Package tools pins Thanos (Query, for the test over two Prometheus replicas; see tools/README.md).
package tools

import (
	_ "github.com/thanos-io/thanos/cmd/thanos"
)
