package alyx

import "syscall"

// Dup2 is missing on some Linux architectures (arm64, riscv64); Dup3 is not.
func redirectFd(from, to int) error { return syscall.Dup3(from, to, 0) }
