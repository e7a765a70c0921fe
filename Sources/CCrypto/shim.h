#ifndef RAPPORT_CCRYPTO_SHIM_H
#define RAPPORT_CCRYPTO_SHIM_H
/* The system's libcrypto (OpenSSL; Debian: libssl-dev): AES-256-GCM, SHA-256 and
   RAND_bytes, for encrypted backups. Only Persistence/Encryption.swift uses it. */
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#endif
