/** The shell: skip link, navigation, connection status, theme toggle, the routes, the token gate. */
import { useCallback, useEffect, useState } from 'react';
import { Link, Route, Switch, useLocation } from 'wouter';
import { api, onUnauthorized } from './api/index.ts';
import { ConnectionStatus } from './components/connection-status.tsx';
import { ThemeToggle } from './components/theme-toggle.tsx';
import { connection } from './live/connection.ts';
import { BatchDetailView } from './views/batch-detail.tsx';
import { BatchesView } from './views/batches.tsx';
import { JobDetailView } from './views/job-detail.tsx';
import { JobsView } from './views/jobs.tsx';
import { LoginView } from './views/login.tsx';
import { NewBatchView } from './views/new-batch.tsx';

type Gate = 'checking' | 'open' | 'login';

function NavLink(props: { href: string; testId: string; children: React.ReactNode }) {
  const [location] = useLocation();
  const current =
    props.href === '/'
      ? location === '/'
      : location.startsWith(props.href) &&
        !(props.href === '/batches/new' && location !== '/batches/new');
  return (
    <Link href={props.href} data-testid={props.testId} aria-current={current ? 'page' : undefined}>
      {props.children}
    </Link>
  );
}

export function App() {
  const [gate, setGate] = useState<Gate>('checking');
  const toLogin = useCallback(() => {
    connection.stop();
    setGate('login');
  }, []);
  const open = useCallback(() => {
    setGate('open');
    connection.start(toLogin);
  }, [toLogin]);

  useEffect(() => {
    onUnauthorized(toLogin);
    // Any cheap API read says whether this browser may read (no token, or a cookie).
    api.jobTypes().then(open, (e: { status?: number }) => (e.status === 401 ? toLogin() : open()));
  }, [open, toLogin]);

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">Kiln</span>
        <nav aria-label="Main">
          <NavLink href="/" testId="nav-batches">
            Batches
          </NavLink>
          <NavLink href="/batches/new" testId="nav-new-batch">
            New batch
          </NavLink>
          <NavLink href="/jobs" testId="nav-jobs">
            Jobs
          </NavLink>
        </nav>
        <span className="spacer" />
        <ConnectionStatus />
        <ThemeToggle />
      </header>
      <main id="main" tabIndex={-1}>
        {gate === 'login' ? (
          <LoginView onDone={open} />
        ) : gate === 'checking' ? (
          <p className="muted">Loading…</p>
        ) : (
          <Switch>
            <Route path="/">
              <BatchesView />
            </Route>
            <Route path="/batches/new">
              <NewBatchView />
            </Route>
            <Route path="/batches/:id">{(p) => <BatchDetailView key={p.id} id={p.id} />}</Route>
            <Route path="/jobs">
              <JobsView />
            </Route>
            <Route path="/jobs/:id">{(p) => <JobDetailView key={p.id} id={p.id} />}</Route>
            <Route>
              <p>
                No such page. <Link href="/">Batches</Link>
              </p>
            </Route>
          </Switch>
        )}
      </main>
    </>
  );
}
