/* Releasing a parsed config. */
#include "spec-json-internal.h"

static void kv_free(struct rt_kv *kv, size_t n)
{
	for (size_t i = 0; kv && i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

struct rt_process *spec_process_free(struct rt_process *p)
{
	if (!p)
		return NULL;
	strv_free(p->args);
	strv_free(p->env);
	free(p->cwd);
	free(p->user.additional_gids);
	for (size_t i = 0; p->rlimits && i < p->n_rlimits; i++)
		free(p->rlimits[i].name);
	free(p->rlimits);
	free(p->apparmor_profile);
	free(p->selinux_label);
	free(p->exec_cpu_affinity_initial);
	free(p->exec_cpu_affinity_final);
	free(p);
	return NULL;
}

void spec_resources_free(struct rt_resources *r)
{
	if (!r)
		return;
	free(r->cpus);
	free(r->mems);
	free(r->weight_devices);
	free(r->throttle_read_bps);
	free(r->throttle_write_bps);
	free(r->throttle_read_iops);
	free(r->throttle_write_iops);
	free(r->device_rules);
	for (size_t i = 0; r->hugepage_limits && i < r->n_hugepage_limits; i++)
		free(r->hugepage_limits[i].page_size);
	free(r->hugepage_limits);
	kv_free(r->net_priorities, r->n_net_priorities);
	kv_free(r->unified, r->n_unified);
	free(r);
}

void spec_seccomp_free(struct rt_seccomp *s)
{
	if (!s)
		return;
	strv_free(s->architectures);
	strv_free(s->flags);
	free(s->listener_path);
	free(s->listener_metadata);
	for (size_t i = 0; s->rules && i < s->n_rules; i++) {
		strv_free(s->rules[i].names);
		free(s->rules[i].args);
	}
	free(s->rules);
	free(s);
}

struct rt_spec *spec_free(struct rt_spec *spec)
{
	if (!spec)
		return NULL;
	free(spec->oci_version);
	free(spec->bundle);
	free(spec->root_path);
	spec_process_free(spec->process);
	free(spec->hostname);
	free(spec->domainname);
	for (size_t i = 0; spec->mounts && i < spec->n_mounts; i++) {
		free(spec->mounts[i].destination);
		free(spec->mounts[i].type);
		free(spec->mounts[i].source);
		free(spec->mounts[i].data);
	}
	free(spec->mounts);
	for (int k = 0; k < RT_HOOK_KIND_MAX; k++) {
		for (size_t i = 0; i < spec->hooks[k].n; i++) {
			free(spec->hooks[k].hooks[i].path);
			strv_free(spec->hooks[k].hooks[i].args);
			strv_free(spec->hooks[k].hooks[i].env);
		}
		free(spec->hooks[k].hooks);
	}
	kv_free(spec->annotations, spec->n_annotations);
	for (size_t i = 0; spec->namespaces && i < spec->n_namespaces; i++)
		free(spec->namespaces[i].path);
	free(spec->namespaces);
	free(spec->uid_mappings);
	free(spec->gid_mappings);
	for (size_t i = 0; spec->devices && i < spec->n_devices; i++)
		free(spec->devices[i].path);
	free(spec->devices);
	free(spec->cgroups_path);
	spec_resources_free(spec->resources);
	kv_free(spec->sysctl, spec->n_sysctl);
	strv_free(spec->masked_paths);
	strv_free(spec->readonly_paths);
	spec_seccomp_free(spec->seccomp);
	free(spec->mount_label);
	free(spec);
	return NULL;
}
