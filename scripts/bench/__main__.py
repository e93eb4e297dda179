from scripts.bench import main

raise SystemExit(main())
