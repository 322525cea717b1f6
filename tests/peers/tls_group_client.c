/*
 * A minimal TLS client on the OpenSSL that nng-sys built (feature
 * `tls-openssl`, OpenSSL 3.5 from openssl-src): connects to 127.0.0.1:PORT,
 * completes a handshake with OpenSSL's default settings (which offer the
 * post-quantum hybrid group X25519MLKEM768 first), verifies the server with
 * CAFILE, and prints the protocol version and the negotiated group.
 * Used by tests/interop_api.rs; compiled there with the system C compiler.
 *
 * usage: tls_group_client PORT CAFILE
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

int
main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s PORT CAFILE\n", argv[0]);
		return (2);
	}
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL || SSL_CTX_load_verify_locations(ctx, argv[2], NULL) != 1) {
		ERR_print_errors_fp(stderr);
		return (1);
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);

	int                fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { 0 };
	sa.sin_family         = AF_INET;
	sa.sin_port           = htons((unsigned short) atoi(argv[1]));
	sa.sin_addr.s_addr    = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof(sa)) != 0) {
		perror("connect");
		return (1);
	}
	SSL *ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	SSL_set1_host(ssl, "127.0.0.1");
	if (SSL_connect(ssl) != 1) {
		ERR_print_errors_fp(stderr);
		return (1);
	}
	printf("library: %s\n", OpenSSL_version(OPENSSL_VERSION));
	printf("protocol: %s\n", SSL_get_version(ssl));
	printf("group: %s\n", SSL_get0_group_name(ssl));
	printf("verify: %ld\n", SSL_get_verify_result(ssl));
	SSL_shutdown(ssl);
	SSL_free(ssl);
	close(fd);
	SSL_CTX_free(ctx);
	return (0);
}
