/* PLACEHOLDER — being written (issue 6). */
#include "gtid.h"
