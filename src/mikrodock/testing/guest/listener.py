"""The test guest's HTTP listener: a 664-byte static x86_64 program, written in assembly here.

busybox's ``nc -ll`` listens with a backlog of 1, so a client opening five connections at once
(``mikrodock info`` reads five menus in parallel) had three of its SYNs dropped by the guest and
re-sent by QEMU's user network seconds later: 1-7 s per request, past 30 s now and then. A
router answers them at once. ``listen PORT PROGRAM`` accepts with a backlog of 64 and runs
PROGRAM per connection with the connection as its stdin and stdout, reaping ended ones.

:data:`LISTEN_ELF` is :data:`SOURCE` assembled with GNU as and linked with
``ld -static -nostdlib -N -s``; ``tests/guest/test_listener.py`` re-assembles it where
binutils is installed and compares the code.
"""

from __future__ import annotations

import base64

__all__ = ["LISTEN_ELF", "SOURCE"]

SOURCE = r"""# listen PORT PROGRAM: accept TCP connections on PORT (backlog 64), run PROGRAM
# for each with the connection as its stdin and stdout (busybox `nc -ll -e` has backlog 1).
    .globl _start
    .text
_start:
    mov (%rsp), %rbx            # argc
    lea 8(%rsp), %r12           # argv
    lea 16(%rsp,%rbx,8), %r13   # envp
    mov 8(%r12), %rsi           # argv[1]: the port, decimal
    xor %eax, %eax
1:  movzbl (%rsi), %ecx
    test %ecx, %ecx
    jz 2f
    sub $48, %ecx
    imul $10, %eax, %eax
    add %ecx, %eax
    inc %rsi
    jmp 1b
2:  xchg %al, %ah               # network byte order
    sub $16, %rsp               # struct sockaddr_in: AF_INET, port, 0.0.0.0
    movq $0, (%rsp)
    movq $0, 8(%rsp)
    movw $2, (%rsp)
    movw %ax, 2(%rsp)
    mov $41, %eax               # socket(AF_INET, SOCK_STREAM, 0)
    mov $2, %edi
    mov $1, %esi
    xor %edx, %edx
    syscall
    test %rax, %rax
    js fail
    mov %rax, %r14
    push $1                     # setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &1, 4)
    mov $54, %eax
    mov %r14, %rdi
    mov $1, %esi
    mov $2, %edx
    mov %rsp, %r10
    mov $4, %r8d
    syscall
    pop %rax
    mov $49, %eax               # bind(fd, &addr, 16)
    mov %r14, %rdi
    mov %rsp, %rsi
    mov $16, %edx
    syscall
    test %rax, %rax
    jnz fail
    mov $50, %eax               # listen(fd, 64)
    mov %r14, %rdi
    mov $64, %esi
    syscall
accept:
    mov $61, %eax               # wait4(-1, NULL, WNOHANG, NULL): reap ended handlers
    mov $-1, %rdi
    xor %esi, %esi
    mov $1, %edx
    xor %r10d, %r10d
    syscall
    test %rax, %rax
    jg accept
    mov $43, %eax               # accept(fd, NULL, NULL)
    mov %r14, %rdi
    xor %esi, %esi
    xor %edx, %edx
    syscall
    test %rax, %rax
    js accept
    mov %rax, %r15
    mov $57, %eax               # fork()
    syscall
    test %rax, %rax
    jz child
    mov $3, %eax                # parent: close(connection)
    mov %r15, %rdi
    syscall
    jmp accept
child:
    mov $33, %eax               # dup2(connection, 0)
    mov %r15, %rdi
    xor %esi, %esi
    syscall
    mov $33, %eax               # dup2(connection, 1)
    mov %r15, %rdi
    mov $1, %esi
    syscall
    mov $3, %eax                # close(connection)
    mov %r15, %rdi
    syscall
    mov $3, %eax                # close(listening socket)
    mov %r14, %rdi
    syscall
    mov $59, %eax               # execve(argv[2], &argv[2], envp)
    mov 16(%r12), %rdi
    lea 16(%r12), %rsi
    mov %r13, %rdx
    syscall
fail:
    mov $60, %eax               # exit(1)
    mov $1, %edi
    syscall
"""

LISTEN_ELF = base64.b64decode(
    "f0VMRgIBAQAAAAAAAAAAAAIAPgABAAAAeABAAAAAAABAAAAAAAAAANgBAAAAAAAAAAAAAEAAOAABAEAAAwACAAEAAAAH"
    "AAAAeAAAAAAAAAB4AEAAAAAAAHgAQAAAAAAATgEAAAAAAABOAQAAAAAAAAEAAAAAAAAASIscJEyNZCQITI1s3BBJi3Qk"
    "CDHAD7YOhcl0DYPpMGvACgHISP/G6+yGxEiD7BBIxwQkAAAAAEjHRCQIAAAAAGbHBCQCAGaJRCQCuCkAAAC/AgAAAL4B"
    "AAAAMdIPBUiFwA+I2wAAAEmJxmoBuDYAAABMife+AQAAALoCAAAASYniQbgEAAAADwVYuDEAAABMifdIiea6EAAAAA8F"
    "SIXAD4WdAAAAuDIAAABMife+QAAAAA8FuD0AAABIx8f/////Mfa6AQAAAEUx0g8FSIXAf+O4KwAAAEyJ9zH2MdIPBUiF"
    "wHjQSYnHuDkAAAAPBUiFwHQMuAMAAABMif8PBeu1uCEAAABMif8x9g8FuCEAAABMif++AQAAAA8FuAMAAABMif8PBbgD"
    "AAAATIn3DwW4OwAAAEmLfCQQSY10JBBMieoPBbg8AAAAvwEAAAAPBQAuc2hzdHJ0YWIALnRleHQAAAAAAAAAAAAAAAAA"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAALAAAAAQAAAAcAAAAAAAAA"
    "eABAAAAAAAB4AAAAAAAAAE4BAAAAAAAAAAAAAAAAAAABAAAAAAAAAAAAAAAAAAAAAQAAAAMAAAAAAAAAAAAAAAAAAAAA"
    "AAAAxgEAAAAAAAARAAAAAAAAAAAAAAAAAAAAAQAAAAAAAAAAAAAAAAAAAA=="
)
