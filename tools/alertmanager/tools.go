//go:build tools

// Package tools pins Alertmanager and amtool (see tools/README.md).
package tools

import (
	_ "github.com/prometheus/alertmanager/cmd/alertmanager"
	_ "github.com/prometheus/alertmanager/cmd/amtool"
)
