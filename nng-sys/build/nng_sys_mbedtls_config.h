/*
 * nng-sys's additions to mbedTLS 3.6's default configuration. mbedTLS reads
 * this file after include/mbedtls/mbedtls_config.h because the build passes
 * -DMBEDTLS_USER_CONFIG_FILE pointing here, to mbedTLS's own CMake build and
 * to nng's compile of its mbed engine alike: both must see one configuration,
 * or the layouts of mbedTLS's structs would silently disagree between them.
 *
 * The default configuration already has TLS 1.2 and 1.3
 * (MBEDTLS_SSL_PROTO_TLS1_2, MBEDTLS_SSL_PROTO_TLS1_3), the PSA crypto that
 * 1.3 needs (MBEDTLS_PSA_CRYPTO_C) and platform entropy (MBEDTLS_ENTROPY_C).
 * nng calls mbedTLS from several threads, so threading is turned on.
 */
#define MBEDTLS_THREADING_C
#if defined(_WIN32)
/* No pthreads on Windows: mbedTLS's mutexes are the "alternative"
 * implementation, Win32 slim reader/writer locks (mbedtls-alt/threading_alt.h),
 * which nng's mbed engine installs when nng initialises TLS. */
#define MBEDTLS_THREADING_ALT
#else
#define MBEDTLS_THREADING_PTHREAD
#endif
