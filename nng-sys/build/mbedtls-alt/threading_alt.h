/*
 * mbedTLS's mutex type on Windows, where nng-sys's configuration
 * (../nng_sys_mbedtls_config.h) selects MBEDTLS_THREADING_ALT because there
 * are no pthreads. The lock is a Win32 slim reader/writer lock (SRWLOCK, one
 * pointer), kept as a `void *` so that mbedTLS's headers need not include
 * <windows.h>. nng's mbed engine installs the functions that use it with
 * mbedtls_threading_set_alt() when nng initialises TLS (the fix
 * "windows-mbedtls-threading", nng-sys/patches/README.md).
 *
 * This folder is on the include path of mbedTLS's build and of nng's;
 * mbedtls/threading.h includes this file only when MBEDTLS_THREADING_ALT is
 * defined.
 */
#ifndef NNG_SYS_THREADING_ALT_H
#define NNG_SYS_THREADING_ALT_H

typedef struct mbedtls_threading_mutex_t {
	void *lock;  /* an SRWLOCK */
	char  valid; /* set by init, cleared by free */
} mbedtls_threading_mutex_t;

#endif
