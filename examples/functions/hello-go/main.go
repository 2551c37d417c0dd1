package main

import (
	"runtime"

	"github.com/alyx/runtime/sdk/go/alyx"
)

type input struct {
	Name string `json:"name"`
}

type output struct {
	Message string `json:"message"`
	Runtime string `json:"runtime"`
	Version string `json:"version"`
}

func main() {
	alyx.Handle(func(in input, ctx *alyx.Context) (output, error) {
		if in.Name == "" {
			in.Name = "World"
		}
		ctx.Log.Info("greeting", map[string]any{"name": in.Name})
		return output{Message: "Hello, " + in.Name + "!", Runtime: "go", Version: runtime.Version()}, nil
	})
}
