//go:build unix

package alyx

import (
	"os"
	"syscall"
)

// privateStdout points fd 1 at stderr, so fmt.Println, C code and child
// processes all write logs, and returns a private copy of the real stdout
// for the response.
func privateStdout() *os.File {
	fd, err := syscall.Dup(1)
	if err != nil {
		os.Stdout = os.Stderr
		return os.NewFile(1, "stdout")
	}
	syscall.CloseOnExec(fd)
	if err := redirectFd(2, 1); err != nil {
		syscall.Close(fd)
		os.Stdout = os.Stderr
		return os.NewFile(1, "stdout")
	}
	os.Stdout = os.Stderr
	return os.NewFile(uintptr(fd), "stdout")
}
