#include <hiredis/hiredis.h>
#include <poll.h>
