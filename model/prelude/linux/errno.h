// include/uapi/asm-generic/errno-base.h, errno.h and include/linux/errno.h: error numbers
// (the asm-generic values, as on i386). Kernel code returns them negated: return -EINTR.

/// include/uapi/asm-generic/errno-base.h: operation not permitted.
const EPERM = 1;

/// include/uapi/asm-generic/errno-base.h: no such file or directory.
const ENOENT = 2;

/// include/uapi/asm-generic/errno-base.h: no such process.
const ESRCH = 3;

/// include/uapi/asm-generic/errno-base.h: interrupted system call.
const EINTR = 4;

/// include/uapi/asm-generic/errno-base.h: I/O error.
const EIO = 5;

/// include/uapi/asm-generic/errno-base.h: no such device or address.
const ENXIO = 6;

/// include/uapi/asm-generic/errno-base.h: argument list too long.
const E2BIG = 7;

/// include/uapi/asm-generic/errno-base.h: bad file number.
const EBADF = 9;

/// include/uapi/asm-generic/errno-base.h: no child processes.
const ECHILD = 10;

/// include/uapi/asm-generic/errno-base.h: try again.
const EAGAIN = 11;

/// include/uapi/asm-generic/errno-base.h: out of memory.
const ENOMEM = 12;

/// include/uapi/asm-generic/errno-base.h: permission denied.
const EACCES = 13;

/// include/uapi/asm-generic/errno-base.h: bad address.
const EFAULT = 14;

/// include/uapi/asm-generic/errno-base.h: device or resource busy.
const EBUSY = 16;

/// include/uapi/asm-generic/errno-base.h: file exists.
const EEXIST = 17;

/// include/uapi/asm-generic/errno-base.h: invalid argument.
const EINVAL = 22;

/// include/uapi/asm-generic/errno-base.h: file table overflow.
const ENFILE = 23;

/// include/uapi/asm-generic/errno-base.h: too many open files.
const EMFILE = 24;

/// include/uapi/asm-generic/errno-base.h: no space left on device.
const ENOSPC = 28;

/// include/uapi/asm-generic/errno-base.h: illegal seek.
const ESPIPE = 29;

/// include/uapi/asm-generic/errno-base.h: broken pipe.
const EPIPE = 32;

/// include/uapi/asm-generic/errno-base.h: result out of range.
const ERANGE = 34;

/// include/uapi/asm-generic/errno.h: resource deadlock would occur.
const EDEADLK = 35;

/// include/uapi/asm-generic/errno.h: invalid system call number.
const ENOSYS = 38;

/// include/uapi/asm-generic/errno.h: no message of desired type.
const ENOMSG = 42;

/// include/uapi/asm-generic/errno.h: identifier removed.
const EIDRM = 43;

/// include/uapi/asm-generic/errno.h: timer expired (down_timeout).
const ETIME = 62;

/// include/uapi/asm-generic/errno.h: connection timed out.
const ETIMEDOUT = 110;

/// include/uapi/asm-generic/errno.h: operation would block (the same number as EAGAIN).
const EWOULDBLOCK = 11;

/// include/linux/errno.h: restart the system call after a signal handler; never seen by user space.
const ERESTARTSYS = 512;

/// include/linux/errno.h: restart the system call whatever the handler; never seen by user space.
const ERESTARTNOINTR = 513;

/// include/linux/errno.h: restart if there is no handler; never seen by user space.
const ERESTARTNOHAND = 514;

/// include/linux/errno.h: no ioctl command; never seen by user space.
const ENOIOCTLCMD = 515;

/// include/linux/errno.h: restart through sys_restart_syscall; never seen by user space.
const ERESTART_RESTARTBLOCK = 516;
