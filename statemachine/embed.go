package statemachine

import (
	"embed"
	"io/fs"
)

//go:embed *.json
var workflowFiles embed.FS

// Workflows holds the workflow files of this directory as built into the
// program: every *.asl.json definition and the *.trigger.json,
// *.trigger-input.json and *.schedule.json files beside it, named by their
// file names ("export.asl.json"). A program that runs the workflows without
// a checkout of the repository (the runner's local stack) reads them here.
var Workflows fs.FS = workflowFiles
