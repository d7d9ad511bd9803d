package tarlayer

import (
	"fmt"
	"io/fs"
	"syscall"
	"time"
)

// settle is how old a file's last change must be before its inode and
// times are trusted to identify its content. A file written again within
// the same clock tick as an earlier read could keep its times, so recent
// files are hashed every time, as git does with "racily clean" entries.
const settle = 2 * time.Second

// statKey identifies a file's content by device, inode, size, and
// modification and change times. The change time cannot be set back by an
// ordinary user, so new content under old times is not a concern.
func statKey(info fs.FileInfo) string {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	ctime := time.Unix(st.Ctim.Sec, st.Ctim.Nsec)
	mtime := time.Unix(st.Mtim.Sec, st.Mtim.Nsec)
	if since := time.Since(ctime); since < settle || time.Since(mtime) < settle {
		return ""
	}
	return fmt.Sprintf("stat:%d:%d:%d:%d:%d", st.Dev, st.Ino, st.Size, mtime.UnixNano(), ctime.UnixNano())
}
