/* embed: turn a data file into a C array, for data compiled into a binary.
 *   embed NAME INPUT OUTPUT   ->  const char NAME[] = { ..., 0 }; const unsigned NAME_len */
#include <stdio.h>

int main(int argc, char **argv)
{
	FILE *in, *out;
	int c;
	unsigned long n = 0;

	if (argc != 4 || !(in = fopen(argv[2], "rb")) || !(out = fopen(argv[3], "w")))
		return 2;
	fprintf(out, "/* generated from %s */\nconst char %s[] = {", argv[2], argv[1]);
	while ((c = fgetc(in)) != EOF)
		fprintf(out, "%s%d,", n++ % 24 ? "" : "\n", c);
	fprintf(out, "0};\nconst unsigned long %s_len = %lu;\n", argv[1], n);
	return fclose(out) == 0 ? 0 : 1;
}
