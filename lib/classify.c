/* PLACEHOLDER — being written (issue 4). */
#include "classify.h"
void ws_classify(const char *text, size_t len, struct ws_verdict *out)
{
	(void)text; (void)len;
	*out = (struct ws_verdict){ .flags = WS_F_WRITE, .hint_consistency = -1 };
}
