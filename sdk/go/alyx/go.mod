module github.com/alyx/runtime/sdk/go/alyx

go 1.21
