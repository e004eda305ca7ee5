// Package events embeds Plaudit's event JSON Schemas, the language-neutral
// contract of what the stream holds (documented in ../README.md), so that
// the binary validates against exactly the files it ships with.
package events

import "embed"

// FS holds envelope.v1.json, which every type's schema refers to, and one
// <domain>.<event>.v<n>.json per event type and version.
//
//go:embed *.json
var FS embed.FS
