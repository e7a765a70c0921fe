#ifndef RAPPORT_CCRYPTO_SHIM_H
#define RAPPORT_CCRYPTO_SHIM_H
/* The system's libcrypto (OpenSSL; Debian: libssl-dev): AES-256-GCM, SHA-256 and
   RAND_bytes, for encrypted stores and an import's file hash (Persistence/Encryption.swift,
   Interchange/Importer.swift). */
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/crypto.h>

/* Initialises libcrypto without its exit-time cleanup (OPENSSL_cleanup, registered with
   atexit by default): a file's hash still running on another thread when a process exits
   met freed locks and crashed, or waited on them forever. Returns 1 on success. */
static inline int rapport_crypto_init_without_cleanup(void) {
    return OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, NULL);
}
#endif
