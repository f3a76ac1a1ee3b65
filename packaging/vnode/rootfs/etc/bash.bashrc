export PATH=/usr/sbin:/usr/bin:/sbin:/bin
PS1='vnode:\w# '
