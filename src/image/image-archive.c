/* Archive results and the plans that image_load builds from an archive's
 * metadata before touching the stores. */
#define LOG_CATEGORY "image"
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "image-internal.h"

void image_archive_item_clear(struct image_archive_item *item)
{
	strv_free(item->repo_tags);
	strv_free(item->chain_ids);
	strv_free(item->layer_blobs);
	*item = (struct image_archive_item){ 0 };
}

struct image_archive_result *image_archive_result_free(struct image_archive_result *r)
{
	if (!r)
		return NULL;
	for (size_t i = 0; i < r->n_items; i++)
		image_archive_item_clear(&r->items[i]);
	free(r->items);
	free(r);
	return NULL;
}

char *image_tag_familiar(const char *ref)
{
	_cleanup_(image_ref_freep) struct image_ref *r = NULL;

	if (image_ref_parse(ref, &r, NULL) < 0 || !r->tag)
		return NULL;
	free(r->digest);
	r->digest = NULL;
	return image_ref_familiar(r);
}

void load_plan_clear(struct load_plan *p)
{
	for (size_t i = 0; i < p->n_images; i++) {
		struct load_image *li = &p->images[i];
		free(li->config_path);
		free(li->manifest_path);
		for (size_t k = 0; k < li->n_layers; k++)
			free(li->layers[k].path);
		free(li->layers);
		strv_free(li->repo_tags);
	}
	free(p->images);
	*p = (struct load_plan){ 0 };
}

struct load_image *load_plan_add(struct load_plan *p)
{
	p->images = xrealloc(p->images, (p->n_images + 1) * sizeof(*p->images));
	struct load_image *li = &p->images[p->n_images++];
	*li = (struct load_image){ 0 };
	return li;
}

static bool is_hex64(const char *s)
{
	for (size_t i = 0; i < DIGEST_HEX_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

void load_digest_from_path(const char *path, char ret[static DIGEST_LEN + 1])
{
	size_t want = DIGEST_HEX_LEN;

	ret[0] = '\0';
	while (str_has_prefix(path, "./"))
		path += 2;
	if (str_has_prefix(path, "blobs/sha256/"))
		path += strlen("blobs/sha256/");
	else if (strlen(path) == DIGEST_HEX_LEN + 5 && strcmp(path + DIGEST_HEX_LEN, ".json") == 0)
		want += 5; /* a legacy config, "<hex>.json" */
	else
		return; /* legacy "<id>/layer.tar": the id is no content digest */
	if (strlen(path) != want || !is_hex64(path))
		return;
	(void)snprintf(ret, DIGEST_LEN + 1, "sha256:%.64s", path);
}

int load_read_file(int rootfd, const char *path, size_t max, char **ret, size_t *ret_len,
		   struct berth_error **err)
{
	_cleanup_close_ int fd = openat_in_root(rootfd, path, O_RDONLY, 0);
	struct stat st;
	int r;

	if (fd < 0)
		return berth_error_set(err, -fd,
				       fd == -ENOENT ? BERTH_ERR_INVALID : BERTH_ERR_INTERNAL,
				       "open '%s' in the archive", path);
	if (fstat(fd, &st) < 0)
		return berth_error_set(err, errno, BERTH_ERR_INTERNAL, "stat '%s'", path);
	if (!S_ISREG(st.st_mode))
		return berth_error_set(err, 0, BERTH_ERR_INVALID,
				       "'%s' in the archive is not a regular file", path);
	if ((uint64_t)st.st_size > max)
		return berth_error_set(err, EFBIG, BERTH_ERR_INVALID, "'%s' in the archive", path);
	if ((r = fd_read_all(fd, max, ret, ret_len)) < 0)
		return berth_error_set(err, -r, BERTH_ERR_INTERNAL, "read '%s'", path);
	return 0;
}
