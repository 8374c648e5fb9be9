"""The use cases, one module per Italian verb the users see (rendiconta verifica, blocca, consolida,
ricevi, campione, decidi...): read -> rules -> register -> write. Front ends (cli, xlbridge, server)
call them; they call the workbook I/O, the register and the rules, never the other way round."""
