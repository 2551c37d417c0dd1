module hello

go 1.21

require github.com/alyx/runtime/sdk/go/alyx v0.0.0

// The SDK lives in this repository; point Go at it instead of a download.
replace github.com/alyx/runtime/sdk/go/alyx => ../../../sdk/go/alyx
