// include/linux/err.h: the last MAX_ERRNO values of the address space are errnos, never
// objects, so a function returns either an object or an error in one pointer. IS_ERR and
// IS_ERR_OR_NULL are builtins of KC (model/elab/pointers.ts): err.h compares every pointer as an
// unsigned long, and a pointer to an object has no integer in KC's word memory.

/// include/linux/err.h: the largest errno an error pointer carries.
const MAX_ERRNO = 4095;

/// include/linux/err.h: the error pointer that carries -errno error.
void *ERR_PTR(long error) { return (void *) error; }

/// include/linux/err.h: the errno an error pointer carries.
long PTR_ERR(const void *ptr) { return (long) ptr; }

/// include/linux/err.h: an error pointer as another pointer type.
void *ERR_CAST(const void *ptr) { return (void *) ptr; }
