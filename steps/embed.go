package steps

import (
	"embed"
	"io/fs"
)

//go:embed steps.json
var settingsFiles embed.FS

// Files holds steps.json as built into the program, for a program that
// runs the steps without a checkout of the repository (the runner's local
// stack); [SettingsJSON] is the same file's bytes.
var Files fs.FS = settingsFiles
