package gitrepo

// SetSSHSystemDir moves /etc/ssh (ssh_config, ssh_known_hosts) for a test,
// so that the machine's files play no part.
func SetSSHSystemDir(r *Repo, dir string) { r.sshSystemDir = dir }
