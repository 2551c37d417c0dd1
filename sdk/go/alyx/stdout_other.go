//go:build !unix

package alyx

import "os"

// privateStdout, without fd duplication (Windows): swapping os.Stdout still
// sends fmt.Println to stderr; only writes straight to the handle escape.
func privateStdout() *os.File {
	real := os.Stdout
	os.Stdout = os.Stderr
	return real
}
