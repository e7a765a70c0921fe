#ifndef RAPPORT_CLIBPQ_SHIM_H
#define RAPPORT_CLIBPQ_SHIM_H
/* PostgreSQL's client library (Debian: libpq-dev), for the PostgreSQL backend only:
   RapportPostgres uses it, the core never does. */
#include <libpq-fe.h>
#endif
