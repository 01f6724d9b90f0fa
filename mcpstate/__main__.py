from mcpstate.cli import main

raise SystemExit(main())
