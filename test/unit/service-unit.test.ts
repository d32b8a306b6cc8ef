import { describe, expect, it } from 'vitest';
import { renderServiceUnit, serviceUnitPath } from '../../src/cli/service';

describe('the systemd user unit', () => {
  it('quotes paths and values so that systemd reads them back exactly', () => {
    const unit = renderServiceUnit({
      node: '/opt/node 20/bin/node',
      cli: '/home/me/100%/$HOME/"q"\\/bin/codepiper',
      env: { CODEPIPER_HOME: '/home/me/a b%$x"y', CODEPIPER_SYSTEMCTL: '/fake', PATH: '/usr/bin', XDG_RUNTIME_DIR: '/run/user/1000', UNRELATED: 'no' },
    });
    // ExecStart expands $VAR and %x: both doubled; Environment= expands only %x.
    expect(unit).toContain('ExecStart="/opt/node 20/bin/node" "/home/me/100%%/$$HOME/\\"q\\"\\\\/bin/codepiper" "daemon" "start"\n');
    expect(unit).toContain('Environment="CODEPIPER_HOME=/home/me/a b%%$x\\"y"\n');
    expect(unit).toContain('Environment="PATH=/usr/bin"\n');
    expect(unit).not.toContain('CODEPIPER_SYSTEMCTL');
    expect(unit).not.toContain('UNRELATED');
    // The shell had XDG_RUNTIME_DIR: the user manager's own is the same place, nothing to unset.
    expect(unit).not.toContain('UnsetEnvironment');
    // A restart of the daemon under systemd is an exit that systemd restarts: the daemon learns it runs there.
    expect(unit).toContain('Environment="CODEPIPER_SERVICE=systemd"\n');
    expect(unit).toMatch(/^Restart=on-failure$/m);
  });

  it('goes under XDG_CONFIG_HOME when it is absolute, else ~/.config', () => {
    expect(serviceUnitPath({ XDG_CONFIG_HOME: '/tmp/xdg' })).toBe('/tmp/xdg/systemd/user/codepiper.service');
    expect(serviceUnitPath({ XDG_CONFIG_HOME: 'relative' })).toMatch(/\/\.config\/systemd\/user\/codepiper\.service$/);
    expect(serviceUnitPath({})).toMatch(/\/\.config\/systemd\/user\/codepiper\.service$/);
  });
});
