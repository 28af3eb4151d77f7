#include <libssh2.h>
#include <poll.h>
#include <netdb.h>
