from idp.cli import main

raise SystemExit(main())
