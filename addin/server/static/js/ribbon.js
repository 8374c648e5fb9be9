// The ribbon only opens the task pane (manifest.xml): no function commands to associate.
