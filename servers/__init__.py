"""Reference servers of the workbook, each one a small runnable module.

Design
======

Every reference server is a module that runs as its own process::

    python -m servers.echo_socket                 # 127.0.0.1, its default port
    python -m servers.echo_socket --port 0        # any free port
    python -m servers.clock_server --host '' --port 12091

and follows the same contract, implemented once in :mod:`servers._runtime`:

* it binds ``127.0.0.1`` unless ``--host`` says otherwise (``--host ''`` means
  every interface); ``--port 0`` asks the kernel for any free port;
* once its socket is bound (and listening, for stream sockets) it prints
  exactly one readiness line, flushed at once::

      listening on 127.0.0.1:40123

  (``listening on unix:/path/to/socket`` for Unix-domain servers), and then
  serves.  Whoever started the server waits for that line instead of
  sleeping: before it, connecting may fail; after it, connecting works;
* Ctrl-C (SIGINT) and SIGTERM stop it cleanly: exit status 0, no traceback;
* it exits when the process that started it dies (a parent-death watchdog),
  so a killed Jupyter kernel or test run leaves nothing listening.

Notebooks never run a server inside the Jupyter kernel (no ``serve_forever()``
and no ``os.fork()`` in a kernel: ipykernel is multi-threaded, and a server
loop would block the notebook).  They start the module as a real subprocess
with :mod:`servers.notebook` and talk to it with ordinary client sockets::

    from servers.notebook import running
    with running("echo_socket") as server:
        ...  # connect to server.address; server.output() is what it printed

Modules
=======

Layer 1, raw sockets (``solutions/01_sockets``): ``echo_socket``,
``trickle_socket``, ``line_socket``, ``prefix_socket``.

Layer 2, :mod:`socketserver` (``solutions/02_socketserver``): ``clock_server``
(and its client ``clock_client``), ``upper_server``, ``echo_lifecycle``,
``udp_server``, ``unix_server``, ``threading_server``, ``stoppable_server``.

Layer 3, processes (``solutions/03_processes``): ``fork_hello``, ``fork_clock``
(and its client ``fork_clock_client``), ``fork_mixins``, ``fork_secret``.

Layer 4, :mod:`http.server` (``solutions/04_http``): ``http_ourwebserver``,
``http_hello``, ``http_files``, ``http_forms``, ``http_cgi`` (with
``cgi_site/``), ``http_wsgi``, ``http_slices``.

Layer 5, beyond the seeds (``solutions/05_beyond``): ``select_echo``,
``async_echo``, ``concurrency_work`` (measured by ``benchmarks/concurrency.py``).

Every layer's "write your own server" exercise: ``student`` (runs the
student's file as a server process), ``exercises`` (the self-checks).

Shared helpers: ``_runtime`` (options, readiness line, clean stop, parent-death
watchdog), ``_layers`` (forking servers without a watchdog thread, orderly
asyncio stop, psutil helpers), ``notebook`` (what notebooks import).
"""
